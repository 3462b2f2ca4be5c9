"""Page numbers of the API's lists, bounded.

A page number becomes an SQL OFFSET: `page=999999999999999999` overflowed it (a 500 on both databases). Every paged
endpoint takes its `page` through `page_query()` — at most MAX_PAGE, a 422 at the field beyond — and slices with
`page_slice()`. (The pages use Django's Paginator.get_page, which already falls back to the last page.)
"""

from ninja import Query

# Far beyond any list the hall keeps (25 a page: 2.5 million rows), far below what an OFFSET can hold.
MAX_PAGE = 100_000


def page_query(default: int = 1):
    return Query(default, ge=1, le=MAX_PAGE, description=f"1 to {MAX_PAGE}.")


def page_slice(page: int, size: int) -> slice:
    start = (min(max(page, 1), MAX_PAGE) - 1) * size
    return slice(start, start + size)
