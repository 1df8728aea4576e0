"""The brand in the header, the title and the footer is the product's name (settings.SITE_NAME) on every
page, the login page too, where Django's LoginView sets its own ``site_name`` to the request's host
(issue 14 item 11)."""

import re

from django.urls import reverse

HOST = "127.0.0.1"  # an allowed host of the test settings that is not the product's name


def _brand(html):
    return re.search(r'class="app-brand">([^<]*)<', html).group(1)


def test_the_login_page_shows_the_products_name_not_the_host(client, settings):
    settings.SITE_NAME = "Tryg i Demokommune"
    html = client.get(reverse("login"), HTTP_HOST=HOST).content.decode()
    assert _brand(html) == "Tryg i Demokommune"
    title = re.search(r"<title>(.*?)</title>", html, flags=re.S).group(1)
    assert title.strip().endswith("· Tryg i Demokommune") and HOST not in title
    assert HOST not in re.search(r"<footer.*?</footer>", html, flags=re.S).group(0)


def test_other_pages_show_the_same_brand(client, settings, coordinator):
    settings.SITE_NAME = "Tryg i Demokommune"
    client.force_login(coordinator)
    for name in ("home", "tour", "help"):
        assert _brand(client.get(reverse(name), HTTP_HOST=HOST).content.decode()) == (
            "Tryg i Demokommune"
        ), name
