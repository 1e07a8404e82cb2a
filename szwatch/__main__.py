from szwatch.monitor.cli import main

main()
