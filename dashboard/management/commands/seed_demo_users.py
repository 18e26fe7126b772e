"""Create one demo user per role (unless they exist) and print their logins."""
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand

from dashboard.demo import DEMO_USERS
from dashboard.models import Profile
from dashboard.roles import ADMIN


class Command(BaseCommand):
    help = "Create the demo users (one per role) if they do not exist yet."

    def handle(self, *args, **options):
        User = get_user_model()
        for username, password, role, endpoint, extension in DEMO_USERS:
            user, created = User.objects.get_or_create(username=username)
            if created:
                user.set_password(password)
                user.is_staff = user.is_superuser = role == ADMIN
                user.save()
                user.groups.add(Group.objects.get(name=role))
            Profile.objects.get_or_create(user=user, defaults={"endpoint": endpoint, "extension": extension})
            state = "created" if created else "exists"
            self.stdout.write(f"  {role:<10} {username} / {password}  (phone {endpoint}, {state})")
