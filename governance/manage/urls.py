from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render
from django.urls import path

from governance.manage.base import all_sections, extra_urls, section_urls, sections_for

app_name = "manage"


@login_required
def index(request):
    """The sections the signed-in user may manage (admins: all; leaders and managers: partners
    and partnerships in their scope; partner users: none)."""
    sections = sections_for(request.user)
    if not sections:
        raise Http404
    return render(request, "manage/index.html", {"sections": sections})


urlpatterns = [path("", index, name="index")]
for _section in all_sections():
    urlpatterns += section_urls(_section)
urlpatterns += extra_urls()
