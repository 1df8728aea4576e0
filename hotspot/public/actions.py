"""The residents' page settings: every change atomic and audited."""

from django.db import transaction
from django.utils.text import slugify

from hotspot.audit.actions import record
from hotspot.audit.models import Action, Purpose
from hotspot.public.models import PublicPage


def page_for(programme) -> PublicPage:
    """The programme's page (not saved when there is none yet: off, with an address from its name)."""
    page = PublicPage.objects.filter(programme=programme).first()
    if page is None:
        base = slugify(programme.name)[:70] or "hotspot"
        slug, k = base, 1
        while PublicPage.objects.filter(slug=slug).exists():
            k += 1
            slug = f"{base}-{k}"
        page = PublicPage(programme=programme, slug=slug)
    return page


@transaction.atomic
def save_page(page: PublicPage, data: dict, *, user, request=None) -> PublicPage:
    created = page.pk is None
    for k, v in data.items():
        setattr(page, k, v)
    page.save()
    record(
        Action.CREATE if created else Action.UPDATE,
        actor=user,
        municipality=page.programme.municipality,
        obj=page,
        purpose=Purpose.ADMINISTRATION,
        fields=sorted(data),
        request=request,
    )
    return page
