"""The default core-area catalogue: Copenhagen's 2008 framework "Rammerne for Hotspot - Et Hotspot og dets
6 kerneområder" (seeds/kk-rammerne-for-hotspot-2008.txt). Names and elements in Danish as written there,
with an English rendering. Municipalities add their own core areas next to these; these are shared."""

from django.db import migrations

# (code, pillar, name_da, name_en, [(element_da, element_en), ...])
CATALOGUE = [
    (
        "1a",
        "1",
        "SSP/børn og unge",
        "Children and youths at risk / SSP",
        [
            ("Konsekvens i indsatsen", "Consistency in the response"),
            ("Forældrekontrakter", "Parent agreements"),
            ("Ungekontrakter", "Youth agreements"),
            (
                "Ledsagelse af børn og unge: hjem til forældrene, guidning til fritidsaktiviteter, "
                "mødestabilitet",
                "Accompanying children and youths: home to their parents, to leisure activities, "
                "to school",
            ),
            (
                "Fritidsjobformidling, uddannelsesvejledning",
                "Finding leisure-time jobs, education guidance",
            ),
            (
                "Systematiske bekymringsmøder med skoler, klubber, beboerbestyrelser m.v.",
                "Regular concern meetings with schools, clubs, tenant boards etc.",
            ),
            (
                "Opfølgning på underretninger fra skole/klubber til Socialforvaltningen",
                "Follow-up on notifications from schools and clubs to social services",
            ),
            (
                "Udvikling af klubtilbud, så de matcher de unge",
                "Developing club offers that match the young people",
            ),
        ],
    ),
    (
        "1b",
        "1",
        "Udsatte familier og personer",
        "Vulnerable families and persons",
        [
            (
                "Mikrostrategi: ugentlig opfølgning på de 10 mest udsatte familier",
                "Micro-strategy: weekly follow-up on the 10 most vulnerable families",
            ),
            (
                "Mikrostrategi: ugentlig opfølgning på de 10 mest udsatte børn/unge",
                "Micro-strategy: weekly follow-up on the 10 most vulnerable children/youths",
            ),
            (
                "Tilbud om opkvalificering til og beskæftigelse",
                "Offers of up-skilling and employment",
            ),
            ("Tilbud om forældrekurser m.v.", "Offers of parenting courses etc."),
            ("Tilbud om behandling m.v.", "Offers of treatment etc."),
        ],
    ),
    (
        "1c",
        "1",
        "Det fysiske rum",
        "Physical space",
        [
            (
                "Omdannelse af fysiske rum, så de understøtter børn og unges udfoldelse og kulturmøde",
                "Redesigning spaces to support children and youths and cultural encounters",
            ),
            (
                "Udnyttelse af faciliteter uden for normale tidspunkter",
                "Using facilities outside normal hours",
            ),
            (
                "Fleksibel anvendelse af rum og offentlige pladser",
                "Flexible use of rooms and public squares",
            ),
            (
                "Fremme liv og aktiv deltagelse i de fysiske rum",
                "Bringing life and active use to the spaces",
            ),
        ],
    ),
    (
        "2",
        "2",
        "Politiet",
        "Police",
        [
            (
                "Konsekvent opfølgning på indberetninger fra Politiet",
                "Consistent follow-up on police notifications",
            ),
            ("Kriminalitet foretaget af voksne", "Crime committed by adults"),
            ("Synlig tilstedeværelse", "Visible presence"),
            ("Udslusning efter endt afsoning", "Re-entry after prison"),
            ("Færdsel og trafik", "Traffic"),
        ],
    ),
    (
        "3",
        "3",
        "Boligselskaber og byindretning",
        "Housing organisations and urban design",
        [
            ("Helhedsplaner i området", "Comprehensive housing plans in the area"),
            (
                "Samarbejde med boligrådgivere, herunder kontakt til udsatte familier",
                "Working with housing advisers, incl. contact with vulnerable families",
            ),
            ("Konflikthåndtering i beboerområder", "Conflict resolution among residents"),
            (
                "Hærværk, belysning, udnyttelse af pladser m.v.",
                "Vandalism, lighting, use of open spaces etc.",
            ),
            (
                "Fritidsjob, fx renholdelse i lokalområdet",
                "Leisure-time jobs, e.g. keeping the area clean",
            ),
        ],
    ),
    (
        "4",
        "4",
        "Erhvervslivet",
        "Local business",
        [
            ("Fritidsjob for lokale unge", "Leisure-time jobs for local youths"),
            ("Mentorordning i og uden for arbejdspladsen", "Mentoring at and outside work"),
            (
                "Formidling af ordinære jobs, praktikpladser, voksenlærlinge",
                "Finding regular jobs, apprenticeships, adult apprentices",
            ),
            ("Frivillige medarbejdere i lokalområdet", "Employees volunteering locally"),
            ("Sponsorering af lokale aktiviteter", "Sponsoring local activities"),
        ],
    ),
    (
        "5",
        "5",
        "Frivillige",
        "Volunteers",
        [
            (
                "Børne- og ungeaktiviteter, herunder sport og lektiecaféer",
                "Activities for children and youths, incl. sport and homework cafés",
            ),
            (
                "Foreningsaktiviteter og foreningernes kapacitet",
                "Association activities and their capacity",
            ),
            (
                "Fleksibilitet og rummelighed i de folkeoplysende foreninger",
                "Flexibility and inclusiveness of adult-education associations",
            ),
        ],
    ),
    (
        "6",
        "6",
        "Borgerinddragelse",
        "Resident involvement",
        [
            (
                "Hotspotboard med en aktør fra hvert af de 6 kerneområder",
                "A hotspot board with one member from each of the 6 core areas",
            ),
            ("Dialog med Lokaludvalget", "Dialogue with the local council"),
            (
                "Bred borgerinddragelse gennem løbende møder, ned på blok- og gadeniveau",
                "Broad involvement through regular meetings, down to block and street level",
            ),
            (
                "Styrke boligbestyrelsernes kapacitet til at inddrage beboerne",
                "Strengthening tenant boards' capacity to involve residents",
            ),
        ],
    ),
]


def seed(apps, schema_editor):
    CoreArea = apps.get_model("programmes", "CoreArea")
    Element = apps.get_model("programmes", "CoreAreaElement")
    for order, (code, pillar, name_da, name_en, elements) in enumerate(CATALOGUE, start=1):
        ca, _ = CoreArea.objects.update_or_create(
            municipality=None,
            code=code,
            defaults={"pillar": pillar, "name_da": name_da, "name_en": name_en, "order": order},
        )
        ca.elements.all().delete()
        Element.objects.bulk_create(
            Element(core_area=ca, text_da=da, text_en=en, order=i)
            for i, (da, en) in enumerate(elements, start=1)
        )


def unseed(apps, schema_editor):
    apps.get_model("programmes", "CoreArea").objects.filter(
        municipality=None, code__in=[c[0] for c in CATALOGUE]
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("programmes", "0001_initial")]
    operations = [migrations.RunPython(seed, unseed)]
