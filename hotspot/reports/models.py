"""Printed PDFs, kept so that no request prints one (``hotspot.reports.pdf``)."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from hotspot.computations import Computation


class PrintedDocument(Computation):
    """A PDF the task worker printed from the HTML a page request rendered, kept by the SHA-256 of
    that HTML (``inputs_hash``): the same document with the same figures for a reader who may see
    them is printed once and served from here, and a change of any figure, word or permission gives
    other HTML and so a new document. ``html`` is cleared once the PDF is printed."""

    municipality = models.ForeignKey(
        "accounts.Municipality", null=True, on_delete=models.CASCADE, related_name="+"
    )
    template = models.CharField(_("template"), max_length=200)
    html = models.TextField(blank=True)
    pdf = models.BinaryField(null=True, blank=True)

    class Meta(Computation.Meta):
        constraints = [
            models.UniqueConstraint(fields=["inputs_hash"], name="printed_document_unique")
        ]
        verbose_name = _("printed document")
        verbose_name_plural = _("printed documents")

    def __str__(self) -> str:
        return f"{self.template} {self.inputs_hash[:12]} ({self.status})"
