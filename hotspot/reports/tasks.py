"""Work of the reports app the task worker does: printing a PDF (seconds of WeasyPrint, never in a
request)."""

import datetime as dt
import logging

from django.utils import timezone
from django_tasks import task

from hotspot import computations
from hotspot.reports.models import PrintedDocument

log = logging.getLogger(__name__)

#: printed documents older than this are removed (a later request prints them again)
KEEP_DAYS = 30


@task()
def print_document_task(document_id: int) -> str:
    from hotspot.reports.pdf import html_to_pdf

    doc = PrintedDocument.objects.get(pk=document_id)
    if doc.status == computations.Status.DONE:
        return doc.status
    computations.start(doc)
    try:
        pdf = html_to_pdf(doc.html)
    except Exception:  # a WeasyPrint failure is the document's, never the worker's
        log.exception("printed document %s: printing failed", document_id)
        computations.fail(doc, "The PDF could not be printed.")
        return doc.status
    computations.finish(doc, pdf=pdf, html="")
    cutoff = timezone.now() - dt.timedelta(days=KEEP_DAYS)
    PrintedDocument.objects.filter(created_at__lt=cutoff).delete()
    return doc.status
