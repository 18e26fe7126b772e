from django.contrib.auth import views as auth_views
from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from . import views
from .api import stuck as stuck_api
from .api import views as api

urlpatterns = [
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("", views.channels, name="home"),
    path("channels/<str:server>/<path:channel_id>/", views.channel_detail, name="channel-detail"),
    path("originate/", views.originate, name="originate"),
    path("stuck/", views.stuck, name="stuck"),
    path("audit/", views.audit_log, name="audit"),
    path("audit/export.csv", views.audit_export, name="audit-export"),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("api/v1/me", api.MeApi.as_view()),
    path("api/v1/audit", api.AuditApi.as_view()),
    path("api/v1/click-to-call", api.ClickToCallApi.as_view()),
    path("api/v1/monitor", api.MonitorApi.as_view()),
    path("api/v1/sessions", api.SessionsApi.as_view()),
    path("api/v1/sessions/<str:session_id>/mode", api.SessionModeApi.as_view()),
    path("api/v1/sessions/<str:session_id>/stop", api.SessionStopApi.as_view()),
    path("api/v1/stuck", stuck_api.StuckApi.as_view()),
    path("api/v1/stuck/hangup", stuck_api.StuckHangupApi.as_view()),
    path("api/v1/channels", api.ChannelsRootApi.as_view()),
    # Channel-creating operations come before the <path:channel_id> patterns that would swallow them.
    *[path(f"api/v1/channels/{name}", view.as_view()) for name, view in api.CREATE_VIEWS.items()],
    *[path(f"api/v1/channels/<path:channel_id>/{name}", view.as_view())
      for name, view in api.CHANNEL_ACTION_VIEWS.items()],
    path("api/v1/channels/<path:channel_id>/variable", api.VARIABLE_VIEW.as_view()),
    path("api/v1/channels/<path:channel_id>", api.ChannelDetailApi.as_view()),
]
