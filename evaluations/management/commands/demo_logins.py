from django.core.management.base import BaseCommand
from django.utils import translation

from evaluations import demo
from institutions.enums import Role


class Command(BaseCommand):
    help = "Prints the demo accounts of every role."

    def handle(self, *args, **options):
        translation.activate("zh-hans")
        self.stdout.write(f"\n演示账号（密码均为 {demo.DEMO_PASSWORD}）— http://127.0.0.1:8000/")
        for login in demo.demo_logins():
            scope = f"（{login.scope}）" if login.scope else ""
            self.stdout.write(f"  {login.username:<20} {Role(login.role).label}{scope}")
        self.stdout.write("")
