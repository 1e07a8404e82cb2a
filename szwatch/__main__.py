from szwatch.app.cli import main

main()
