"""What the import pages show beyond the batch itself."""

from django.utils.formats import number_format

from hotspot.imports.kinds import ADAPTERS

#: The units of a size in words, of 1,024 as an operating system shows a file's size.
_SIZE_UNITS = (("GB", 1024**3), ("MB", 1024**2), ("kB", 1024))


def size_words(n_bytes: int) -> str:
    """A size in the largest unit it holds one of, whole when it is whole, else with one decimal below
    100: the default upload limit (2 × 1024³ bytes) is "2 GB", not "2147 MB"; 1.5 × 1024³ is "1,5 GB"
    in Danish."""
    for unit, size in _SIZE_UNITS:
        if n_bytes >= size:
            value = n_bytes / size
            digits = 0 if value == int(value) or value >= 100 else 1
            return f"{number_format(round(value, digits), digits, force_grouping=True)} {unit}"
    return f"{n_bytes} B"


def offence_headers(kind) -> set[str]:
    """The header keys under which a kind's file holds offence codes (none for most kinds)."""
    adapter = ADAPTERS.get(kind)
    if adapter is None or "offence" not in adapter.required + adapter.optional:
        return set()
    return {key for key, column in adapter.column_names().items() if column == "offence"}
