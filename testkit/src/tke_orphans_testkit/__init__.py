"""The test kit of tke-orphans: a local emulator of the Tencent Cloud API, fake chat bots and the demo.

A second distribution beside the product, the way moto stands beside boto3: installed for the demo, the tests and
the benchmark, never shipped in the product's wheel or image. It may import the product; the product imports it in
one place only (`tke_orphans.cli.kit`, which adds the kit's commands).
"""
