import re

from playwright.sync_api import expect

from annotations.models import Annotation
from classrooms.models import Classroom, Membership
from tests.browser.conftest import drag_select
from tests.factories import make_article, make_user


def test_a_teacher_runs_a_class_on_an_article_end_to_end(live_server, browser, sign_in):
    article = make_article(
        "Sanctions and the deal",
        slug="sanctions",
        blocks=[
            ("paragraph", "The Kremlin’s offer is simple — and, some say, a trap for the West."),
            ("paragraph", "Sanctions cost Russia growth in 2023. Exports fell by a third."),
        ],
    )
    teacher = make_user("teacher", first_name="Ms Reed")
    student = make_user("sam", first_name="Sam")
    outsider = make_user("olga", first_name="Olga")
    other_class = Classroom.objects.create(name="10C")
    other_class.add_member(outsider, Membership.Role.STUDENT)

    # The teacher creates a class and an assignment.
    teacher_context = browser.new_context()
    sign_in(teacher, teacher_context)
    page = teacher_context.new_page()
    page.goto(live_server.url + "/classes/")
    page.get_by_label("Class name").fill("9B English")
    page.get_by_role("button", name="Create class").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("9B English")
    code = page.locator(".join-code").inner_text()
    page.get_by_text("New assignment").click()
    page.get_by_label("Article").select_option(label="Sanctions and the deal")
    page.get_by_label("Instructions").fill("Label two claims.")
    page.get_by_role("button", name="Assign").click()
    expect(page.get_by_role("link", name="Sanctions and the deal")).to_be_visible()

    # A student joins with the code and annotates for the class.
    student_context = browser.new_context()
    sign_in(student, student_context)
    spage = student_context.new_page()
    spage.goto(live_server.url + "/classes/")
    spage.get_by_label("Join code").fill(code.lower())
    spage.get_by_role("button", name="Join").click()
    expect(spage.get_by_role("heading", level=1)).to_have_text("9B English")
    spage.goto(live_server.url + "/assignments/")
    expect(spage.get_by_text("Not started")).to_be_visible()
    spage.get_by_role("link", name="Sanctions and the deal").click()
    expect(spage.get_by_text("Assignment for 9B English")).to_be_visible()
    drag_select(spage, 2, "Exports fell by a third.")
    toolbar = spage.get_by_role("form", name="Label the selected passage")
    expect(toolbar.get_by_label("Visible to")).to_have_value(
        f"class:{Classroom.objects.get(name='9B English').pk}"
    )
    toolbar.get_by_role("button", name="Evidence", exact=True).click()
    expect(spage.locator(".card")).to_have_count(1)
    expect(spage.locator(".card")).to_contain_text("Class: 9B English")
    annotation = Annotation.objects.get()
    assert (annotation.visibility, annotation.classroom.name) == ("class", "9B English")

    # A student of another class never sees it.
    outsider_context = browser.new_context()
    sign_in(outsider, outsider_context)
    opage = outsider_context.new_page()
    opage.goto(live_server.url + article.get_absolute_url())
    expect(opage.locator(".card")).to_have_count(0)
    expect(opage.locator("mark")).to_have_count(0)
    expect(opage.get_by_text("Exports fell by a third.")).to_be_visible()

    # The teacher's dashboard counts it.
    page.get_by_role("link", name="Dashboard").click()
    row = page.get_by_role("row", name=re.compile("Sam"))
    expect(row).to_contain_text("1")
    expect(row).to_contain_text("In progress", ignore_case=True)
    for context in (teacher_context, student_context, outsider_context):
        context.close()
