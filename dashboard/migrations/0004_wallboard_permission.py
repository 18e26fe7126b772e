"""The view_wallboard permission, given to the supervisor and admin groups."""
from django.db import migrations

WALLBOARD_ROLES = ("supervisor", "admin")


def grant(apps, schema_editor):
    from django.contrib.auth.management import create_permissions

    app_config = apps.get_app_config("dashboard")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    permission = apps.get_model("auth", "Permission").objects.get(
        content_type__app_label="dashboard", codename="view_wallboard")
    for group in apps.get_model("auth", "Group").objects.filter(name__in=WALLBOARD_ROLES):
        group.permissions.add(permission)


def revoke(apps, schema_editor):
    apps.get_model("auth", "Permission").objects.filter(
        content_type__app_label="dashboard", codename="view_wallboard").delete()


class Migration(migrations.Migration):
    dependencies = [("dashboard", "0003_profile_extension")]

    operations = [
        migrations.AlterModelOptions(
            name="auditentry",
            options={"ordering": ["-at", "-id"], "permissions": [
                ("see_all_channels", "See every channel, not only calls of one's own endpoint"),
                ("basic_control", "Hang up, hold, mute and send DTMF (agents: own calls only)"),
                ("click_to_call", "Originate a call from one's own endpoint"),
                ("media_control", "Music on hold, silence, ring, answer and play media"),
                ("monitor_calls", "Snoop (listen, whisper, barge) and record calls"),
                ("technical_control", "Redirect, continue, move, dial, variables, RTP statistics, external media, "
                                      "originate to any endpoint"),
                ("view_all_audit", "See every user's audit entries"),
                ("view_wallboard", "See the wallboard: every person's phone, whom they talk to and for how long"),
            ]},
        ),
        migrations.RunPython(grant, revoke),
    ]
