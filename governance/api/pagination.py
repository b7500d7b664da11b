"""Pagination: page numbers (with ``count``) for configuration-sized lists, cursors for the
large collections (measurements, events, scorecard cells) where a COUNT(*) per page is not cheap."""

from django.core.paginator import Page, Paginator
from rest_framework.pagination import CursorPagination, PageNumberPagination


class FirstPageFirstPaginator(Paginator):
    """Django's paginator, reading the first page before counting: when it holds fewer rows than a
    page they are all there are, and ``count`` is their number — no ``COUNT(*)``. Most lists
    (org units, functions, types, a partnership's things) fit one page, so most list calls make one
    query fewer; a full first page is counted as before and its rows are not read twice."""

    def page(self, number: int | str) -> Page:
        if str(number) != "1" or self.orphans:
            return super().page(number)
        rows = list(self.object_list[: self.per_page])
        if len(rows) < self.per_page:
            self.__dict__["count"] = len(rows)  # the cached_property's slot
        return Page(rows, 1, self)


class StandardPagination(PageNumberPagination):
    django_paginator_class = FirstPageFirstPaginator
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500


class LargeCollectionPagination(CursorPagination):
    page_size = 100
    page_size_query_param = "page_size"
    max_page_size = 500
    ordering = "-pk"
