from ivig_schedule.cli import main

main()
