"""The demo hall's consultations (filled in by the consultation work in progress)."""


def load_consultation_history(site) -> str:
    return "咨询：0 条"
