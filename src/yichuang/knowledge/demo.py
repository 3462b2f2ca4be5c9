"""The demo hall's knowledge base (filled in by the knowledge work in progress)."""


def load_articles() -> str:
    return "知识库：0 篇文章"
