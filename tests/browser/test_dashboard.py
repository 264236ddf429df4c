import re

import pytest
from playwright.sync_api import expect

from annotations.anchoring import Anchor
from annotations.models import Annotation
from classrooms.models import Assignment, Classroom, Membership
from tests.factories import make_article, make_user

P1 = "Cats purr. Dogs bark. Birds sing."
P2 = "Rain falls. Snow melts."


@pytest.fixture
def assignment():
    article = make_article(
        "Pets and weather", slug="pets", blocks=[("paragraph", P1), ("paragraph", P2)]
    )
    teacher = make_user("teacher", first_name="Ms Reed")
    classroom = Classroom.objects.create(name="9B English")
    classroom.add_member(teacher, Membership.Role.TEACHER)
    blocks = list(article.blocks.order_by("position"))
    names = ["Ann Archer", "Bob Bell", "Catalina Cole-Montgomery", "Dev Das"]
    for i, name in enumerate(names):
        student = make_user(f"s{i}", first_name=name)
        classroom.add_member(student, Membership.Role.STUDENT)
        for block, (start, end), label in [
            (0, (0, 10), ["claim", "opinion"][i % 2]),
            (1, (12, 23), "evidence"),
        ]:
            Annotation.objects.create_at(
                article=article,
                author=student,
                blocks=blocks,
                anchor=Anchor(block, start, block, end),
                label=label,
                visibility="class",
                classroom_id=classroom.pk,
            )
    return Assignment.objects.create(classroom=classroom, article=article)


def test_it_fits_a_phone_and_opens_a_class_discussion(live_server, browser, sign_in, assignment):
    context = browser.new_context(viewport={"width": 390, "height": 844})
    sign_in(assignment.classroom.memberships.get(role="teacher").user, context)
    page = context.new_page()
    violations = []
    page.on(
        "console",
        lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None,
    )
    page.goto(f"{live_server.url}/assignments/{assignment.pk}/dashboard/")

    expect(page.get_by_role("heading", level=1)).to_have_text("Pets and weather")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    # The table scrolls inside its own box; the names stay in view.
    table = page.locator(".table-scroll")
    assert table.evaluate("el => el.scrollWidth > el.clientWidth")
    expect(page.locator(".heat__link")).to_have_count(2)
    expect(page.locator(".contested__item")).to_contain_text("2 claim")
    expect(page.locator(".contested__item")).to_contain_text("2 opinion")

    page.get_by_role("button", name="Open a class discussion").click()
    thread = Annotation.objects.get(note__startswith="Class discussion")
    expect(page).to_have_url(re.compile(rf"/articles/pets/\?thread={thread.pk}#"))
    expect(page.locator(f"#annotation-{thread.pk}")).to_contain_text("Class discussion")
    assert violations == []
    context.close()
