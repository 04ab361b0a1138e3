from envgen.launch import main

main()
