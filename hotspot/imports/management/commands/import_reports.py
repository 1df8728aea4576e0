from hotspot.imports.management.commands._base import ImportCommand


class Command(ImportCommand):
    kind = "reports"
