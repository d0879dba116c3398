"""Serializer helpers shared by the apps' APIs."""

import threading

from django.utils.functional import cached_property

_built = threading.local()  # .fields: {serializer class: {name: bound field}}, per thread


class FieldsBuiltOnce:
    """For output serializers on hot paths (order placement answers with every order it made):
    a ModelSerializer works its fields out from the model on every instance, and DRF then
    deep-copies each one, which costs more than the serializing itself. Here the fields are
    built and bound once per class and thread; a later instance of the class takes them over
    (it becomes their parent, so `field.root` and `field.context` are its own).

    Only for output serializers whose fields don't depend on the context, nor change: a
    thread serializes one response at a time, and the fields belong to its newest instance."""

    @cached_property
    def fields(self):
        cache = getattr(_built, "fields", None)
        if cache is None:
            cache = _built.fields = {}
        fields = cache.get(type(self))
        if fields is None:
            fields = cache[type(self)] = dict(super().fields)
        else:
            for field in fields.values():
                field.parent = self
        return dict(fields)
