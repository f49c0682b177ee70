"""The backup's serialization format, registered under backups.FORMAT (Django loads it as a module)."""

from django.core.serializers.jsonl import Deserializer  # noqa: F401 - the format's reader

from .backups import ExactSerializer as Serializer  # noqa: F401 - the format's writer
