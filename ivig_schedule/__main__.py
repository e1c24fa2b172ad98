from ivig_schedule.cli.app import main

main()
