from okrbot.cli.main import app

app()
