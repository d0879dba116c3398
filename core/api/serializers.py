"""Serializer helpers shared by the apps' APIs."""

import copy


class FieldsBuiltOnce:
    """For output serializers on hot paths (order placement answers with every order it made):
    a ModelSerializer works its fields out from the model on every instance, which costs more
    than the serializing itself. Here they are worked out once per class and copied, as DRF
    copies declared fields. Only for serializers whose fields don't depend on the context."""

    def get_fields(self):
        built = type(self).__dict__.get("_fields_built_once")
        if built is None:
            built = super().get_fields()
            type(self)._fields_built_once = built
        return copy.deepcopy(built)
