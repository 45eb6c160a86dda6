"""Serializer fields that take JSON types as they are.

DRF's fields coerce: a ``CharField`` takes ``0`` as ``"0"``, a ``BooleanField`` takes ``"yes"``
or ``0``, an ``IntegerField`` takes ``"7"`` and ``7.0``. A client that sends a number where the
schema says string has a bug, and coercing hides it (the fuzzer's ``negative_data_rejection``
found each). These fields refuse any other JSON type with DRF's own "invalid" message; every
serializer of annolab uses them instead of DRF's.
"""

from __future__ import annotations

from typing import Any

from rest_framework import serializers


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


class CharField(serializers.CharField):
    default_error_messages = {"invalid": "Must be a string."}

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class EmailField(serializers.EmailField):
    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class BooleanField(serializers.BooleanField):
    default_error_messages = {"invalid": "Must be true or false."}

    def to_internal_value(self, data: Any) -> bool:
        if not isinstance(data, bool):
            self.fail("invalid")
        return data


class IntegerField(serializers.IntegerField):
    default_error_messages = {"invalid": "Must be a whole number."}

    def to_internal_value(self, data: Any) -> int:
        if not _is_int(data):
            self.fail("invalid")
        return super().to_internal_value(data)


class FloatField(serializers.FloatField):
    default_error_messages = {"invalid": "Must be a number."}

    def to_internal_value(self, data: Any) -> float:
        if not (_is_int(data) or isinstance(data, float)):
            self.fail("invalid")
        return super().to_internal_value(data)
