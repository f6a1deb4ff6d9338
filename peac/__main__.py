from peac.cli import main

main()
