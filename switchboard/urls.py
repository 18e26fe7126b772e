from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("", include("dashboard.urls")),
]

# Under /api/ every answer is the API's JSON error shape, even those Django makes itself.
handler400 = "dashboard.error_pages.bad_request"
handler403 = "dashboard.error_pages.permission_denied"
handler404 = "dashboard.error_pages.page_not_found"
handler500 = "dashboard.error_pages.server_error"
