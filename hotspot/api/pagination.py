from rest_framework.exceptions import ValidationError
from rest_framework.pagination import LimitOffsetPagination


class Pages(LimitOffsetPagination):
    """``?limit=&offset=`` (default 100, at most 500): a larger or malformed limit is a 400 that names
    the parameter, never a silent cap."""

    default_limit = 100
    max_limit = 500

    def get_limit(self, request):
        raw = request.query_params.get(self.limit_query_param)
        if raw is None:
            return self.default_limit
        try:
            value = int(raw)
        except ValueError:
            raise ValidationError({"limit": ["A whole number is required."]}) from None
        if not 1 <= value <= self.max_limit:
            raise ValidationError({"limit": [f"Must lie between 1 and {self.max_limit}."]})
        return value

    def get_offset(self, request):
        raw = request.query_params.get(self.offset_query_param, "0")
        try:
            value = int(raw)
        except ValueError:
            raise ValidationError({"offset": ["A whole number is required."]}) from None
        if value < 0:
            raise ValidationError({"offset": ["Must not be negative."]})
        return value
