"""Who collected (issue 13): the collector's role (申请人本人 / 法定代表人 / 委托代理人), the kind of document
they showed, how an agent was authorised, how a legal representative was checked, and the reason when there is
no signature.

Existing handovers keep what they recorded. What they did not record is filled in from the rules they were
checked by (output.services before this change): an organisation's "applicant" was checked by the credit code,
every other in-person receiver by a resident ID, and an agent only when the ID matched the agent on record.
Nothing is invented: their signature, or its absence, is left as it was (no reason is made up for them).
The new constraints come in 0003, after this backfill.
"""

from django.conf import settings
from django.db import migrations, models


def backfill(apps, schema_editor):
    Handover = apps.get_model("output", "Handover")
    in_person = Handover.objects.filter(method="in_person")
    in_person.filter(receiver="applicant", submission__applicant__kind="org").update(receiver_document="credit_code")
    in_person.filter(receiver_document="").update(receiver_document="resident_id")
    in_person.filter(receiver="agent").update(agent_on_record=True)


class Migration(migrations.Migration):

    dependencies = [
        ('intake', '0009_case_window'),
        ('organisation', '0001_initial'),
        ('output', '0001_initial'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name='handover',
            name='handover_checked_or_tracked',
        ),
        migrations.AddField(
            model_name='handover',
            name='agent_on_record',
            field=models.BooleanField(default=False, help_text='委托代理人的证件与受理时登记的代办人一致。', verbose_name='受理时登记的代办人'),
        ),
        migrations.AddField(
            model_name='handover',
            name='authorisation_kept',
            field=models.BooleanField(default=False, help_text='委托代理人出示申请人签署的授权委托书，窗口收取留存。', verbose_name='已收取授权委托书'),
        ),
        migrations.AddField(
            model_name='handover',
            name='no_signature_reason',
            field=models.CharField(blank=True, max_length=200, verbose_name='未签名原因'),
        ),
        migrations.AddField(
            model_name='handover',
            name='proof_note',
            field=models.CharField(blank=True, max_length=200, verbose_name='核验说明'),
        ),
        migrations.AddField(
            model_name='handover',
            name='receiver_document',
            field=models.CharField(blank=True, choices=[('resident_id', '居民身份证'), ('credit_code', '统一社会信用代码')], default='', max_length=12, verbose_name='领取人证件类型'),
        ),
        migrations.AddField(
            model_name='handover',
            name='representative_checked',
            field=models.BooleanField(default=False, help_text='出件人核对了营业执照（或法定代表人身份证明书）：领取人是该单位的法定代表人。', verbose_name='已核对法定代表人'),
        ),
        migrations.AlterField(
            model_name='handover',
            name='receiver',
            field=models.CharField(blank=True, choices=[('applicant', '申请人本人'), ('legal_rep', '法定代表人'), ('agent', '委托代理人')], max_length=12, verbose_name='领取人身份'),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
    ]
