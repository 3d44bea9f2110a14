from aideals.cli import main

main()
