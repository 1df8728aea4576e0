"""What the import pages show beyond the batch itself."""

from hotspot.imports.kinds import ADAPTERS


def offence_headers(kind) -> set[str]:
    """The header keys under which a kind's file holds offence codes (none for most kinds)."""
    adapter = ADAPTERS.get(kind)
    if adapter is None or "offence" not in adapter.required + adapter.optional:
        return set()
    return {key for key, column in adapter.column_names().items() if column == "offence"}
