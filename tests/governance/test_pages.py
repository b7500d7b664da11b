"""Login, the overview and the org-structure page, as each member of the cast."""

import pytest

pytestmark = pytest.mark.django_db


def test_login_page_renders_with_local_assets(client):
    response = client.get("/accounts/login/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Sign in" in html and "/static/vendor/bootstrap/bootstrap.min.css" in html
    assert "cdn" not in html.lower()


def test_pages_require_login(client, org):
    for url in ["/", "/org/"]:
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_each_role_lands_on_its_own_page_after_login(client, cast):
    response = client.post("/accounts/login/", {"username": "max.de", "password": "pw-max.de"}, follow=True)
    assert response.status_code == 200 and response.redirect_chain[-1][0] == "/decisions/queue/"
    landings = [("leader", "/kpis/dashboard/"), ("admin", "/kpis/dashboard/"), ("partner", "/partners/portal/")]
    for who, landing in landings:
        client.force_login(cast[who])
        assert client.get("/")["Location"] == landing


def test_wrong_password_is_refused(client, manager_de):
    response = client.post("/accounts/login/", {"username": "max.de", "password": "nope"})
    assert response.status_code == 200 and "didn't match" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_org_page_shows_the_leaders_subtree_only(client, cast):
    client.force_login(cast["leader"])
    html = client.get("/org/").content.decode()
    assert "DACH" in html and "Germany" in html
    assert "max.de" in html  # the Germany manager's assignment is listed
    assert "Japan" not in html and "APAC" not in html


def test_org_page_for_manager_in_japan_hides_germany(client, cast):
    client.force_login(cast["manager_jp"])
    html = client.get("/org/").content.decode()
    assert "Japan" in html and "Germany" not in html


def test_partner_users_do_not_see_internal_staffing(client, cast):
    client.force_login(cast["partner"])
    assert client.get("/org/").status_code == 404
    response = client.get("/", follow=True)
    html = response.content.decode()
    assert "Partnership A" in html and "Partnership B" not in html


def test_org_page_query_count_does_not_grow_with_the_tree(client, cast, org, django_assert_max_num_queries):
    from governance import services

    for i in range(30):
        services.org_unit_create(code=f"M{i}", name=f"Market {i}", level="market", parent=org["DACH"])
    client.force_login(cast["admin"])
    with django_assert_max_num_queries(6):
        assert client.get("/org/").status_code == 200


def test_navigation_depends_on_role(client, cast):
    client.force_login(cast["admin"])
    html = client.get("/org/").content.decode()
    # Business admins manage in the product; the Django admin is for superusers only.
    assert "Manage" in html and "Decision rights" in html and "Django admin" not in html
    client.force_login(cast["manager_de"])
    html = client.get("/org/").content.decode()
    assert "Django admin" not in html and "Decision rights" not in html and "My decision queue" in html
    assert 'href="/manage/"' not in html
    client.force_login(type(cast["admin"]).objects.create_superuser("root", "root@example.com", "pw-root"))
    assert "Django admin" in client.get("/org/").content.decode()


def test_favicon_is_accords_icon_for_anyone(client):
    """Browsers ask for /favicon.ico on pages that name no icon (the browsable API, raw JSON): the
    icon every page names, for visitors who are not signed in too."""
    from django.templatetags.static import static

    response = client.get("/favicon.ico")
    assert response.status_code == 301 and response["Location"] == static("img/accord.svg")
    assert f'<link rel="icon" href="{response["Location"]}"' in client.get("/accounts/login/").content.decode()


def test_the_sidebar_links_are_what_the_template_loop_wrote():
    """``nav_html`` replaced base.html's ``{% for item in nav_items %}`` loop, character for character."""
    from django.template import Context, Template

    from governance.context_processors import nav_html

    loop = Template("""{% for item in nav_items %}
        <li class="nav-item"><a class="nav-link{% if item.active %} active{% endif %}" href="{{ item.url }}"{% if item.active %} aria-current="page"{% endif %}><i class="bi bi-{{ item.icon }}" aria-hidden="true"></i> {{ item.label }}</a></li>
        {% endfor %}""")  # noqa: E501 — the template line as it was
    items = [{"label": "Dashboard", "url": "/kpis/dashboard/", "icon": "speedometer2", "active": True},
             {"label": 'Q&A <"beta">', "url": "/a/?x=1&y=2", "icon": "x\"y", "active": False},
             {"label": "Home", "url": "/", "icon": "house", "active": False}]
    for shown in (items, items[1:], []):
        assert nav_html(shown) == loop.render(Context({"nav_items": shown}))
