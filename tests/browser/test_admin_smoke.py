import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_superuser_logs_into_admin(page, live_server, login, save_screenshot, django_user_model):
    django_user_model.objects.create_superuser("ada", "ada@example.com", "correct-horse-battery")

    login(page, live_server, "ada", "correct-horse-battery")

    assert page.url == f"{live_server.url}/admin/"
    expect(page.get_by_role("heading", name="Site administration")).to_be_visible()
    expect(page.locator("#user-tools")).to_contain_text("ada")
    assert save_screenshot(page, "admin").stat().st_size > 0
