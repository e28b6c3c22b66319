"""A patch whose only function has a misspelt name: it would replace nothing."""


def ofline_pages(k, start_pfn, nr_pages, zone):  # type: ignore[no-untyped-def]
    return 0
