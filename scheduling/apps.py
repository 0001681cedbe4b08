from django.apps import AppConfig


class SchedulingConfig(AppConfig):
    name = "scheduling"
    verbose_name = "Scheduling"

    def ready(self) -> None:
        from crm.hooks import register_merge_handler, register_timeline_source
        from scheduling import selectors

        # Jobs and bookings show on the contact's timeline and follow it through a merge.
        register_timeline_source(selectors.contact_jobs_timeline)
        register_timeline_source(selectors.contact_bookings_timeline)
        register_merge_handler(selectors.contact_scheduling_merge)

        from accounts.signals import onboarding_completed
        from scheduling.onboarding import onboarding_completed_receiver

        # Finishing onboarding makes the business's services, opening hours and booking policy.
        onboarding_completed.connect(onboarding_completed_receiver, dispatch_uid="scheduling.onboarding")

        from accounts.demo import register_demo_seeder
        from scheduling.demo import demo_schedule_seed

        register_demo_seeder(demo_schedule_seed)  # seed_demo plants a month of jobs and visits
