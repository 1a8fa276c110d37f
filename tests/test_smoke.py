def test_it_loads_the_personas(report, line, alice, bob, paula, carl, ivan):
    assert report.lines.count() == 1
    assert paula.is_staff and not alice.is_staff
