"""What the API shows of each object: the figures the pages show, never person data."""

from rest_framework import serializers

from hotspot.areas.models import Area
from hotspot.evaluations.models import Study
from hotspot.indices.models import IndexRun, SafetyScore
from hotspot.programmes.models import Goal, Programme, Task, TaskStatus
from hotspot.spatial.models import SpatialRun


class Strict(serializers.Serializer):
    """Unknown fields in a request body are an error that names them (never silently dropped)."""

    def to_internal_value(self, data):
        if not isinstance(data, dict):
            raise serializers.ValidationError({"non_field_errors": ["A JSON object is required."]})
        unknown = sorted(set(data) - set(self.fields))
        if unknown:
            raise serializers.ValidationError({k: ["Unknown field."] for k in unknown})
        return super().to_internal_value(data)


class Portable(serializers.ModelSerializer):
    """Model fields without the integer bounds the database backend lends them (SQLite's 64-bit,
    PostgreSQL's 32-bit): the schema is the same on every database, and these fields are read-only."""

    def build_standard_field(self, field_name, model_field):
        field_class, kwargs = super().build_standard_field(field_name, model_field)
        kwargs.pop("max_value", None)
        kwargs.pop("min_value", None)
        return field_class, kwargs


class AreaSerializer(Portable):
    parent = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = Area
        fields = ["id", "code", "name", "kind", "parent", "area_m2", "valid_from", "valid_to"]


class IndexRunSerializer(Portable):
    definition = serializers.CharField(source="version.definition.name", read_only=True)
    version = serializers.IntegerField(source="version.number", read_only=True)

    class Meta:
        model = IndexRun
        fields = [
            "id", "definition", "version", "status", "years", "inputs_hash", "method_version",
            "created_at", "finished_at",
        ]  # fmt: skip


class ScoreSerializer(Portable):
    area = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = SafetyScore
        fields = ["area", "year", "score", "band", "band_label", "objective", "subjective"]


class GoalSerializer(Portable):
    class Meta:
        model = Goal
        fields = [
            "id", "title", "kind", "measure", "unit", "baseline_value", "baseline_date",
            "target_value", "deadline",
        ]  # fmt: skip


class ProgrammeSerializer(Portable):
    areas = serializers.SlugRelatedField(slug_field="code", many=True, read_only=True)
    goals = GoalSerializer(many=True, read_only=True)

    class Meta:
        model = Programme
        fields = [
            "id", "name", "areas", "start", "end", "status", "approved_on", "purpose_short",
            "purpose_long", "version", "goals",
        ]  # fmt: skip


class TaskSerializer(Portable):
    class Meta:
        model = Task
        fields = ["id", "programme", "plan", "title", "due", "status", "version"]


class TaskStatusSerializer(Strict):
    status = serializers.ChoiceField(choices=TaskStatus.choices)
    version = serializers.IntegerField(min_value=1)


class StudySerializer(Portable):
    latest_result = serializers.SerializerMethodField()

    class Meta:
        model = Study
        fields = [
            "id", "name", "outcome", "first_year", "last_year", "design", "inference",
            "programme", "latest_result",
        ]  # fmt: skip

    def get_latest_result(self, study) -> dict | None:
        results = [r for r in study.results.all() if r.status == "done"]
        if not results:
            return None
        r = max(results, key=lambda r: r.created_at)
        main = (r.figures or {}).get("main") or {}
        return {
            "id": r.pk,
            "finished_at": r.finished_at,
            "estimate": main.get("estimate"),
            "ci_low": main.get("ci_low"),
            "ci_high": main.get("ci_high"),
            "p_value": main.get("p_value"),
            "scale": main.get("scale"),
            "inputs_hash": r.inputs_hash,
        }


class SpatialRunSerializer(Portable):
    area = serializers.SlugRelatedField(slug_field="code", read_only=True)
    summary = serializers.SerializerMethodField()

    class Meta:
        model = SpatialRun
        fields = [
            "id", "method", "area", "first_day", "last_day", "offence_groups", "cell_size",
            "status", "summary", "inputs_hash", "finished_at",
        ]  # fmt: skip

    def get_summary(self, run) -> dict:
        return (run.figures or {}).get("summary", {})
