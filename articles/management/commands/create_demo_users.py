import secrets

from django.contrib.auth.models import User
from django.core.management.base import BaseCommand

DEMO_USERS = [
    # username, display name, is curator (staff + superuser)
    ("curator", "Casey Curator", True),
    ("teacher", "Ms Tamsin Reed", False),
    ("student1", "Sam Ortiz", False),
    ("student2", "Priya Nair", False),
    ("student3", "Jonas Weber", False),
]


class Command(BaseCommand):
    help = "Create the demo accounts once and print their passwords; later runs change nothing."

    def handle(self, *args, **options):
        created = []
        for username, display_name, curator in DEMO_USERS:
            if User.objects.filter(username=username).exists():
                continue
            password = secrets.token_urlsafe(9)
            User.objects.create_user(
                username=username,
                password=password,
                first_name=display_name,
                is_staff=curator,
                is_superuser=curator,
            )
            created.append((username, password, "curator, admin" if curator else display_name))
        if not created:
            self.stdout.write(
                "Demo accounts already exist (their passwords were printed when "
                "they were created; reset one with `manage.py changepassword`)."
            )
            return
        self.stdout.write(self.style.SUCCESS("Demo accounts (shown once — note them now):"))
        for username, password, role in created:
            self.stdout.write(f"  {username:<10} {password:<14} {role}")
