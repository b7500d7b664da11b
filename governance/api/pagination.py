"""Pagination: page numbers (with ``count``) for configuration-sized lists, cursors for the
large collections (measurements, events, scorecard cells) where a COUNT(*) per page is not cheap."""

from rest_framework.pagination import CursorPagination, PageNumberPagination


class StandardPagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500


class LargeCollectionPagination(CursorPagination):
    page_size = 100
    page_size_query_param = "page_size"
    max_page_size = 500
    ordering = "-pk"
