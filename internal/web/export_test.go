package web

// NaturalCompareForTest exposes the dashboard's name order to the tests.
var NaturalCompareForTest = naturalCompare
