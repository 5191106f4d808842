"""Replace Wagtail's welcome page with the office's home page."""

from django.db import migrations


def create_home(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    Page = apps.get_model("wagtailcore", "Page")
    Site = apps.get_model("wagtailcore", "Site")
    HomePage = apps.get_model("cms", "HomePage")
    if HomePage.objects.exists():
        return
    Page.objects.filter(depth=2, slug="home", content_type__app_label="wagtailcore").delete()
    content_type, _ = ContentType.objects.get_or_create(model="homepage", app_label="cms")
    root = Page.objects.get(depth=1)
    home = HomePage.objects.create(
        title="营商环境服务台",
        draft_title="营商环境服务台",
        slug="home",
        content_type=content_type,
        path=f"{root.path}0001",
        depth=2,
        numchild=0,
        url_path="/home/",
        live=True,
        locale_id=root.locale_id,
        intro="<p>企业在项目推进中遇到审批、用地、水电气接入、验收、融资、用工等堵点，"
        "可以通过服务专班、企业端、12345 热线或“办不成事”反映窗口提出，"
        "我们交办责任单位限时办结，并回访企业满意度。</p>",
        hotline="12345",
        window_text="区政务服务中心一楼“办不成事”反映窗口，工作日 9:00-17:00。",
        office_address="区政务服务中心3楼 区营商环境建设办公室",
    )
    root.numchild = Page.objects.filter(depth=2).count()
    root.save(update_fields=["numchild"])
    Site.objects.update_or_create(
        is_default_site=True,
        defaults={"hostname": "localhost", "port": 80, "root_page_id": home.pk,
                  "site_name": "营商环境服务台"},
    )


class Migration(migrations.Migration):
    dependencies = [
        ("cms", "0001_initial"),
        ("wagtailcore", "0098_apitoken"),
    ]
    operations = [migrations.RunPython(create_home, migrations.RunPython.noop)]
