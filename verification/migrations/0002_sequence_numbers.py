"""Number meetings and 公示 1, 2, 3 … within each campaign instead of by database id.

Existing rows get their campaign sequence in creation order. A number the old code built from
the id (洗民审〔年〕<id>号, 洗民公〔年〕<id>号) is rewritten to the new one; any other is kept.
"""

from django.db import migrations, models

FORMATS = {"ReviewMeeting": "洗民审〔{year}〕{n}号", "PublicNotice": "洗民公〔{year}〕{n}号"}


def number_rows(apps, schema_editor):
    for name, pattern in FORMATS.items():
        model = apps.get_model("verification", name)
        seen = {}
        for row in model.objects.select_related("campaign").order_by("campaign_id", "created_at", "id"):
            seen[row.campaign_id] = seen.get(row.campaign_id, 0) + 1
            row.sequence = seen[row.campaign_id]
            year = row.campaign.year
            if row.number in ("", pattern.format(year=year, n=row.pk)):
                row.number = pattern.format(year=year, n=row.sequence)
            row.save(update_fields=["sequence", "number"])


class Migration(migrations.Migration):
    dependencies = [
        ("verification", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="reviewmeeting",
            name="sequence",
            field=models.PositiveIntegerField(null=True, verbose_name="年度序号"),
        ),
        migrations.AddField(
            model_name="publicnotice",
            name="sequence",
            field=models.PositiveIntegerField(null=True, verbose_name="年度序号"),
        ),
        migrations.RunPython(number_rows, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="reviewmeeting",
            name="sequence",
            field=models.PositiveIntegerField(
                help_text="本工作方案内按创建先后编号：1、2、3……", verbose_name="年度序号"
            ),
        ),
        migrations.AlterField(
            model_name="publicnotice",
            name="sequence",
            field=models.PositiveIntegerField(
                help_text="本工作方案内按创建先后编号：1、2、3……", verbose_name="年度序号"
            ),
        ),
        migrations.AddConstraint(
            model_name="reviewmeeting",
            constraint=models.UniqueConstraint(
                fields=("campaign", "sequence"), name="uniq_meeting_sequence"
            ),
        ),
        migrations.AddConstraint(
            model_name="publicnotice",
            constraint=models.UniqueConstraint(
                fields=("campaign", "sequence"), name="uniq_notice_sequence"
            ),
        ),
    ]
