"""The database repeats the collector rules of output.services (after 0002 filled in the old handovers)."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('output', '0002_handover_collector'),
    ]

    operations = [
        migrations.AddConstraint(
            model_name='handover',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('method', 'in_person'), ('receiver__in', ['applicant', 'legal_rep', 'agent'])), models.Q(('address__gt', ''), ('method', 'mail'), ('tracking_number__gt', '')), _connector='OR'), name='handover_checked_or_tracked'),
        ),
        migrations.AddConstraint(
            model_name='handover',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('receiver', 'agent'), _negated=True), ('agent_on_record', True), ('authorisation_kept', True), _connector='OR'), name='handover_agent_authorised'),
        ),
        migrations.AddConstraint(
            model_name='handover',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('receiver', 'legal_rep'), _negated=True), ('representative_checked', True), _connector='OR'), name='handover_representative_checked'),
        ),
    ]
