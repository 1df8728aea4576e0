"""What the offence catalogue pages show."""

from hotspot.incidents.models import Offence


def offence_catalogue():
    """The catalogue, every code with its parent, in code order (the page and its download)."""
    return Offence.objects.select_related("parent").order_by("code")
