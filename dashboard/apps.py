from django.apps import AppConfig


class DashboardConfig(AppConfig):
    name = "dashboard"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from . import authstate, signins

        authstate.connect_signals()
        signins.connect_signals()
