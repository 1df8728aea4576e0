from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from hotspot.accounts.models import Membership, Municipality, User


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0


@admin.register(User)
class HotspotUserAdmin(UserAdmin):
    inlines = [MembershipInline]


@admin.register(Municipality)
class MunicipalityAdmin(admin.ModelAdmin):
    list_display = ["code", "name"]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "municipality", "role", "organisation"]
    list_filter = ["municipality", "role"]
