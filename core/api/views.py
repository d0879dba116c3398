"""Base classes for every API view: idempotent POSTs and company scoping come with them."""

from rest_framework import generics, views

from core.api.idempotency import IdempotentMixin


class ApiView(IdempotentMixin, views.APIView):
    pass


class ApiListView(IdempotentMixin, generics.ListAPIView):
    pass


class ApiRetrieveView(IdempotentMixin, generics.RetrieveAPIView):
    pass
