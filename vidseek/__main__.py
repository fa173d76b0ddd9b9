from vidseek.cli import main

main()
