"""Jobs are addressed by a random token instead of their sequential id (issue 19.1)."""

import uuid

from django.db import migrations, models


def fill_tokens(apps, schema_editor):
    Job = apps.get_model("xixin_dibao", "Job")
    for job in Job.objects.filter(token__isnull=True).only("pk"):
        Job.objects.filter(pk=job.pk).update(token=uuid.uuid4())


class Migration(migrations.Migration):
    dependencies = [("xixin_dibao", "0006_sec_b_job_heartbeat")]

    operations = [
        migrations.AddField(
            model_name="job",
            name="token",
            field=models.UUIDField(null=True, editable=False, verbose_name="访问令牌"),
        ),
        migrations.RunPython(fill_tokens, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="job",
            name="token",
            field=models.UUIDField(
                default=uuid.uuid4, editable=False, unique=True, verbose_name="访问令牌"
            ),
        ),
    ]
