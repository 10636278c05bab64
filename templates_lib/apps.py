from django.apps import AppConfig


class TemplatesLibConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "templates_lib"
