app_name = "indices"
urlpatterns: list = []
